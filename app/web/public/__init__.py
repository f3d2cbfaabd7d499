"""Pages customers reach from their messages: signed links only, no account, no session."""
