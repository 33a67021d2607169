//! AAGUID -> product name registry and allow-list formats.
