# Temporary re-export while the customers app moves to the kernel's audit module (removed before commit).
from rmdesk.core.audit import *  # noqa: F401,F403
from rmdesk.core.audit import current_ip, record, verify_chain  # noqa: F401
