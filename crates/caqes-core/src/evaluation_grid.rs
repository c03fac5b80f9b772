//! (en cours d'écriture)
