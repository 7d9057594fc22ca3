"""Development and build tools for tmdesk; not part of the installed package."""
