//! caqes-web (en cours d'écriture).
