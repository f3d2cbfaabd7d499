"""The merchant's pages: sign-in by signed link, recent orders and their messages."""
