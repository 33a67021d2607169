"""Protocol numbers python-fido2 has no constant for, taken from the spec's own
tables and named with the section, so that no test sends a bare literal and
none borrows fidoctl's (src/) value."""

# CTAP 2.3 §6.11 (authenticatorConfig), the subCommand table:
# enableLongTouchForReset. python-fido2 2.2.1's Config.CMD has 0x01-0x03 and
# VENDOR_PROTOTYPE (0xFF) only.
ENABLE_LONG_TOUCH_FOR_RESET = 0x04
