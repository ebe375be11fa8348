"""Emulator configuration: the default login user and the knobs of the simulated org."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class LoginConfig:
    """The one user every login method authenticates. These credentials are public on purpose:
    the emulator holds no real data, and tests and ``--demo`` need to know them."""

    username: str = "ops@bulktui.example"
    password: str = "emulator-password"
    security_token: str = "EMULATORTOKEN42"
    client_id: str = "3MVG9bulktuiEmulatorConsumerKey"
    client_secret: str = "EMULATORCONSUMERSECRET"
    full_name: str = "Olivia Ops"
    email: str = "ops@bulktui.example"
    # PEM of an RSA public key or an X.509 certificate: enables the JWT-bearer grant.
    jwt_public_key_pem: str | None = None
    # When False (the default: loopback counts as a trusted IP range, in Salesforce terms),
    # ``password`` alone is accepted as well as password + security token.
    require_security_token: bool = False


@dataclass(frozen=True, slots=True)
class EngineConfig:
    login: LoginConfig = field(default_factory=LoginConfig)
    org_name: str = "Bulktui Emulated Org"
    api_version: str = "64.0"  # what the ready line and the login responses advertise
    min_api_version: float = 31.0  # 21.0-30.0 are retired: InvalidVersion
    max_api_version: float = 66.0
    # login() is gone from API 65.0 on (docs/wire-facts.md §7.1)
    soap_login_max_version: float = 64.0
    # Processing: records per second per batch, the wait before a batch starts, and a floor
    # on how long a batch runs, so a poller sees Queued and InProgress at all.
    records_per_second: float = 2000.0
    queue_seconds: float = 1.0
    min_batch_seconds: float = 0.5
    parallel_batches_per_job: int = 4  # Serial jobs run one batch at a time
    session_seconds: int = 7200  # sessionSecondsValid
    daily_api_limit: int = 15000
    list_page_size: int = 1000  # rows per 2.0 job-list page
    query_results_page_size: int = 50_000  # 2.0 query result rows without maxRecords
    rest_query_page_size: int = 2000  # REST /query rows per page (nextRecordsUrl after)
    daily_batch_limit: int = 15000  # rolling 24 h, shared by 1.0 and 2.0 ingest
    lifespan_days: float = 7.0
    # Device flow: approve a pending code by itself after this many polls (None: only through
    # POST /_emulator/device/approve).
    device_auto_approve_polls: int | None = 2
    jwt_audiences: tuple[str, ...] = (
        "https://login.salesforce.com",
        "https://test.salesforce.com",
    )
