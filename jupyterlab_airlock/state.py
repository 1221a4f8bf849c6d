"""What Airlock's handlers share: the namespace of their routes and the cores one Jupyter
server builds at start (``extension`` builds them)."""

from __future__ import annotations

from dataclasses import dataclass

from .active_source import ActiveTrust
from .audit import AuditLog
from .cache import ContentCache
from .catalog import ArtifactCatalog
from .config import Airlock
from .copies import WorkspaceCopier
from .index_address import IndexAddress
from .installer.conda_channel import CondaChannel
from .installer.service import Installer
from .jobs import JobManager
from .kernels.factory import KernelFactory
from .package_index.index import PackageIndex
from .previews import DatasetPreviews
from .profiles.manager import ProfileManager
from .trust.policy import Policy

# Every Airlock route lives under "<base_url>airlock/".
NAMESPACE = "airlock"


@dataclass
class AirlockState:
    """The admin's options and the cores built from them, in ``settings["airlock"]``."""

    config: Airlock
    profiles: ProfileManager
    jobs: JobManager
    catalog: ArtifactCatalog
    previews: DatasetPreviews
    copier: WorkspaceCopier
    index: PackageIndex
    index_address: IndexAddress
    conda_channel: CondaChannel
    installer: Installer
    policy: Policy
    audit: AuditLog
    kernel_factory: KernelFactory
    cache: ContentCache
    trust: ActiveTrust
