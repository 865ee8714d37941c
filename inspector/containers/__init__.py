"""Byte-level readers (zip, xar, cpio, pbzx, Mach-O, signing blocks...) that know nothing of records."""
