"""Equipment's writes and use cases. Interfaces (pages, API, admin, tasks) call these only."""

from iot_gateway.services.alarms import alarm_acknowledge, alarms_escalate, alarms_missing_lead
from iot_gateway.services.devices import (
    IssuedCredential,
    device_register,
    device_revoke,
    device_token_rotate,
)
from iot_gateway.services.ingest import (
    CredentialRefusedError,
    IngestResult,
    evaluation_started,
    telemetry_ingest,
)
from iot_gateway.services.leads import (
    lead_from_alarm,
    lead_from_prediction,
    lead_quote_accept,
    lead_quote_submit,
    provider_profile_update,
)
from iot_gateway.services.metrics import metrics_ensure_standard
from iot_gateway.services.partitions import partitions_maintain
from iot_gateway.services.prediction import predictions_run
from iot_gateway.services.rollups import rollups_expire, rollups_refresh
from iot_gateway.services.rules import devices_behind, heartbeats_sweep, rules_evaluate

__all__ = [
    "CredentialRefusedError",
    "IngestResult",
    "IssuedCredential",
    "alarm_acknowledge",
    "alarms_escalate",
    "alarms_missing_lead",
    "device_register",
    "device_revoke",
    "device_token_rotate",
    "devices_behind",
    "evaluation_started",
    "heartbeats_sweep",
    "lead_from_alarm",
    "lead_from_prediction",
    "lead_quote_accept",
    "lead_quote_submit",
    "metrics_ensure_standard",
    "partitions_maintain",
    "predictions_run",
    "provider_profile_update",
    "rollups_expire",
    "rollups_refresh",
    "rules_evaluate",
    "telemetry_ingest",
]
