//! Open PHMEV (en cours d'écriture).
