"""Who may read the statistics and who may operate on them.

Reports, dashboards and exports are for staff (they aggregate every unit's cases, and name
none of a customer's); keeping reports now and rebuilding the read models are an admin's.
"""

from fastapi import Depends

from shared.kernel.principal import STAFF, Role
from shared.platform.auth.access import allow

#: Dependencies of the reading routes.
STAFF_READS = [Depends(allow(*STAFF))]
#: Dependencies of the operations.
ADMIN_OPERATIONS = [Depends(allow(Role.admin))]
