//! Additional volets (transport, pertinence, qualité).
