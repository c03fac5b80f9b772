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
