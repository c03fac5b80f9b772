//! caqes-store (en cours d'écriture).
