"""Certificates of completion: issued once per completion, frozen PDFs, public
verification that names the holder only by initials unless asked, revocation."""
