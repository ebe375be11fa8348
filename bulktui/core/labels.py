"""Readable labels for JobInfo fields, by wire name: one table for ``bulktui show`` and the
console's detail view, so both name a field the same way."""

from __future__ import annotations

from collections.abc import Mapping

JOB_LABELS: Mapping[str, str] = {
    "id": "Job ID",
    "operation": "Operation",
    "object": "Object",
    "createdById": "Created by",
    "createdDate": "Created",
    "systemModstamp": "Last modified",
    "state": "State",
    "externalIdFieldName": "External ID field",
    "concurrencyMode": "Concurrency mode",
    "contentType": "Content type",
    "numberBatchesQueued": "Batches queued",
    "numberBatchesInProgress": "Batches in progress",
    "numberBatchesCompleted": "Batches completed",
    "numberBatchesFailed": "Batches failed",
    "numberBatchesTotal": "Batches total",
    "numberRecordsProcessed": "Records processed",
    "numberRetries": "Retries",
    "apiVersion": "API version",
    "assignmentRuleId": "Assignment rule",
    "numberRecordsFailed": "Records failed",
    "totalProcessingTime": "Total processing time",
    "apiActiveProcessingTime": "API active processing time",
    "apexProcessingTime": "Apex processing time",
    "fastPathEnabled": "Fast path enabled",
    "jobType": "Job type",
    "contentUrl": "Content URL",
    "lineEnding": "Line ending",
    "columnDelimiter": "Column delimiter",
    "retries": "Retries (2.0)",
    "errorMessage": "Error message",
}

# Counters in milliseconds: the console formats them as durations, the CLI prints "(ms)".
MILLISECOND_FIELDS = frozenset(
    {"totalProcessingTime", "apiActiveProcessingTime", "apexProcessingTime"}
)
