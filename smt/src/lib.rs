//! weir single message transforms (arrive with the SMT issue).
