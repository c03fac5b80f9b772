// Live preview of the score while typing (progressive enhancement): the form
// is sent to /apercu, which validates with the engine's rules and scores
// without saving. Without JavaScript the form works the same, on save.
(() => {
  const form = document.getElementById('formulaire-valeurs');
  const out = document.getElementById('apercu');
  if (!form || !out) return;
  let timer = null;
  const update = async () => {
    const body = new URLSearchParams(new FormData(form));
    try {
      const res = await fetch(form.action.replace(/\/valeurs$/, '/apercu'), {
        method: 'POST', body, credentials: 'same-origin',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      });
      if (!res.ok) return;
      const data = await res.json();
      const errors = Object.entries(data.errors);
      let text = `Avec les valeurs saisies (non enregistrées) : ${data.score} / 100 points, bonus ${data.bonus}, total ${data.total}.`;
      if (errors.length) text += ` ${errors.length} valeur(s) à corriger.`;
      out.textContent = text;
      // The sticky score and the parts' subtotals follow the typing.
      const total = document.getElementById('score-direct-total');
      const origin = document.getElementById('score-direct-origine');
      if (total && data.evaluable) total.textContent = `Score : ${data.score} / 100 — bonus ${data.bonus} — total ${data.total}`;
      if (origin) origin.textContent = errors.length ? `(valeurs saisies, non enregistrées ; ${errors.length} à corriger)` : '(valeurs saisies, non enregistrées)';
      for (const [part, subtotal] of Object.entries(data.parts || {})) {
        for (const el of document.querySelectorAll(`[data-partie="${CSS.escape(part)}"]`)) el.textContent = subtotal;
      }
      for (const el of form.querySelectorAll('.caqes-live-error')) el.remove();
      for (const [id, message] of errors) {
        const input = document.getElementById('v-' + id) || document.getElementById('n-' + id);
        if (!input) continue;
        const p = document.createElement('p');
        p.className = 'fr-error-text caqes-live-error';
        p.textContent = message;
        input.closest('.fr-grid-row')?.after(p);
      }
    } catch (_) { /* the server check on save remains */ }
  };
  form.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(update, 400); });
})();

// Upload progress (progressive enhancement): a form marked `data-envoi`
// whose file inputs hold a file is sent with XMLHttpRequest, whose upload
// events drive the form's <progress>; the answer replaces the page, as the
// browser would have shown it. Without JavaScript the form is sent as usual.
(() => {
  for (const form of document.querySelectorAll('form[data-envoi]')) {
    const box = document.getElementById(form.dataset.envoi);
    if (!box) continue;
    const bar = box.querySelector('progress');
    const text = box.querySelector('.caqes-progression-texte');
    form.addEventListener('submit', (event) => {
      const chosen = [...form.querySelectorAll('input[type=file]')].some((i) => i.files.length > 0);
      if (!chosen || !bar) return;
      event.preventDefault();
      const xhr = new XMLHttpRequest();
      xhr.open('POST', form.action);
      box.hidden = false;
      for (const b of form.querySelectorAll('button[type=submit]')) b.disabled = true;
      xhr.upload.addEventListener('progress', (e) => {
        if (!e.lengthComputable) return;
        const percent = Math.floor((e.loaded * 100) / e.total);
        bar.value = percent;
        if (text) text.textContent = `${percent} %`.replace(' ', '\u00a0');
      });
      xhr.upload.addEventListener('load', () => {
        bar.value = 100;
        if (text) text.textContent = 'Fichier reçu, vérification en cours…';
      });
      xhr.addEventListener('load', () => {
        document.open();
        document.write(xhr.responseText);
        document.close();
      });
      xhr.addEventListener('error', () => {
        if (text) text.textContent = "L'envoi a échoué (connexion interrompue) : envoi sans suivi de progression…";
        HTMLFormElement.prototype.submit.call(form);
      });
      xhr.send(new FormData(form));
    });
  }
})();

// « Tout sélectionner » (progressive enhancement): the box ticks every row's
// checkbox of its form, and unticking a row unticks it. Without JavaScript the
// server reads the box itself (every row shown, sent as `affiche`).
(() => {
  for (const all of document.querySelectorAll('input[data-tout]')) {
    const form = all.form;
    if (!form) continue;
    const rows = () => [...document.querySelectorAll('input.caqes-selection')].filter((i) => i.form === form);
    all.addEventListener('change', () => { for (const r of rows()) r.checked = all.checked; });
    for (const r of rows()) r.addEventListener('change', () => { if (!r.checked) all.checked = false; });
  }
})();
