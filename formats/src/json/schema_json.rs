//! Connect schema ⇄ envelope schema JSON (in progress).
