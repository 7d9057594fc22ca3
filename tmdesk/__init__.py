"""tmdesk: desk software for the Tallinn Mechanism.

Plugin authors import :data:`hookimpl` from here::

    from tmdesk import hookimpl
"""

import pluggy

__version__ = "0.1.0"

#: Marker for plugin hook implementations (pluggy project name ``tmdesk``).
hookimpl = pluggy.HookimplMarker("tmdesk")

__all__ = ["__version__", "hookimpl"]
