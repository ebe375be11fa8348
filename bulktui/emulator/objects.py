"""The emulated org's schema: which sObjects exist, their key prefixes and fields.

Just enough describe data for plausible failures: required fields (REQUIRED_FIELD_MISSING),
typed fields that refuse bad values, read-only system fields, external-id fields for upsert,
restricted picklists. Names are case-insensitive, as in Salesforce.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

FieldKind = Literal[
    "id",
    "string",
    "textarea",
    "reference",
    "number",
    "int",
    "date",
    "datetime",
    "boolean",
    "email",
    "phone",
    "url",
    "picklist",
]


@dataclass(frozen=True, slots=True)
class FieldDef:
    name: str
    kind: FieldKind = "string"
    required: bool = False  # on create: REQUIRED_FIELD_MISSING when absent or blank
    createable: bool = True
    updateable: bool = True
    external_id: bool = False
    length: int = 255
    picklist: tuple[str, ...] = ()  # restricted values, when set
    default: str | None = None  # value used on create when the field is absent
    refers_to: str | None = None  # key prefix a reference must carry


@dataclass(frozen=True, slots=True)
class ObjectDef:
    name: str
    key_prefix: str
    fields: Mapping[str, FieldDef] = field(default_factory=dict)  # lower-case name -> def
    bulk_supported: bool = True
    has_triggers: bool = False  # gives the batch some apexProcessingTime

    def field(self, name: str) -> FieldDef | None:
        return self.fields.get(name.lower())

    @property
    def required(self) -> tuple[FieldDef, ...]:
        return tuple(f for f in self.fields.values() if f.required)

    @property
    def label(self) -> str:
        """How the object is named in ``MALFORMED_ID`` messages (``Account ID: …``)."""
        return self.name.removesuffix("__c").replace("_", " ")


_SYSTEM = (
    FieldDef("Id", "id", createable=False, updateable=False, external_id=True, length=18),
    FieldDef("IsDeleted", "boolean", createable=False, updateable=False),
    FieldDef("CreatedDate", "datetime", createable=False, updateable=False),
    FieldDef("CreatedById", "reference", createable=False, updateable=False, refers_to="005"),
    FieldDef("LastModifiedDate", "datetime", createable=False, updateable=False),
    FieldDef("LastModifiedById", "reference", createable=False, updateable=False, refers_to="005"),
    FieldDef("SystemModstamp", "datetime", createable=False, updateable=False),
)
_OWNED = (FieldDef("OwnerId", "reference", refers_to="005"),)
_KEYS = (
    FieldDef("External_Id__c", external_id=True, length=80),
    FieldDef("Legacy_Key__c", external_id=True, length=80),
)


def _obj(
    name: str,
    prefix: str,
    fields: Iterable[FieldDef],
    *,
    owned: bool = True,
    bulk: bool = True,
    triggers: bool = False,
    keys: bool = True,
) -> ObjectDef:
    all_fields = [*_SYSTEM, *(_OWNED if owned else ()), *fields, *(_KEYS if keys else ())]
    return ObjectDef(name, prefix, {f.name.lower(): f for f in all_fields}, bulk, triggers)


_LEAD_STATUS = (
    "Open - Not Contacted",
    "Working - Contacted",
    "Closed - Converted",
    "Closed - Not Converted",
)
_STAGES = (
    "Prospecting",
    "Qualification",
    "Needs Analysis",
    "Proposal/Price Quote",
    "Negotiation/Review",
    "Closed Won",
    "Closed Lost",
)

OBJECTS: dict[str, ObjectDef] = {
    o.name.lower(): o
    for o in (
        _obj(
            "Account",
            "001",
            [
                FieldDef("Name", required=True),
                FieldDef("Type"),
                FieldDef("Industry"),
                FieldDef("Phone", "phone", length=40),
                FieldDef("Website", "url"),
                FieldDef("BillingCity", length=40),
                FieldDef("BillingCountry", length=80),
                FieldDef("AnnualRevenue", "number"),
                FieldDef("NumberOfEmployees", "int"),
                FieldDef("Description", "textarea", length=32000),
                FieldDef("ParentId", "reference", refers_to="001"),
            ],
            triggers=True,
        ),
        _obj(
            "Contact",
            "003",
            [
                FieldDef("LastName", required=True, length=80),
                FieldDef("FirstName", length=40),
                FieldDef("Email", "email", length=80),
                FieldDef("Phone", "phone", length=40),
                FieldDef("Title", length=128),
                FieldDef("MailingCity", length=40),
                FieldDef("Birthdate", "date"),
                FieldDef("AccountId", "reference", refers_to="001"),
            ],
            triggers=True,
        ),
        _obj(
            "Lead",
            "00Q",
            [
                FieldDef("LastName", required=True, length=80),
                FieldDef("FirstName", length=40),
                FieldDef("Company", required=True),
                FieldDef("Email", "email", length=80),
                FieldDef("Phone", "phone", length=40),
                FieldDef("LeadSource", length=40),
                FieldDef("Status", "picklist", picklist=_LEAD_STATUS, default=_LEAD_STATUS[0]),
            ],
        ),
        _obj(
            "Opportunity",
            "006",
            [
                FieldDef("Name", required=True, length=120),
                FieldDef("StageName", "picklist", required=True, picklist=_STAGES),
                FieldDef("CloseDate", "date", required=True),
                FieldDef("Amount", "number"),
                FieldDef("Probability", "number"),
                FieldDef("AccountId", "reference", refers_to="001"),
            ],
            triggers=True,
        ),
        _obj(
            "Case",
            "500",
            [
                FieldDef("Subject"),
                FieldDef("Status", default="New", length=40),
                FieldDef("Origin", length=40),
                FieldDef("Priority", default="Medium", length=40),
                FieldDef("Description", "textarea", length=32000),
                FieldDef("AccountId", "reference", refers_to="001"),
                FieldDef("ContactId", "reference", refers_to="003"),
            ],
        ),
        _obj(
            "Task",
            "00T",
            [
                FieldDef("Subject"),
                FieldDef("Status", default="Not Started", length=40),
                FieldDef("Priority", default="Normal", length=40),
                FieldDef("ActivityDate", "date"),
                FieldDef("WhoId", "reference"),
                FieldDef("WhatId", "reference"),
            ],
            keys=False,
        ),
        _obj(
            "Event",
            "00U",
            [
                FieldDef("Subject"),
                FieldDef("StartDateTime", "datetime", required=True),
                FieldDef("EndDateTime", "datetime", required=True),
                FieldDef("WhoId", "reference"),
                FieldDef("WhatId", "reference"),
            ],
            keys=False,
        ),
        _obj(
            "Product2",
            "01t",
            [
                FieldDef("Name", required=True),
                FieldDef("ProductCode"),
                FieldDef("Family", length=40),
                FieldDef("IsActive", "boolean"),
                FieldDef("Description", "textarea", length=4000),
            ],
            owned=False,
        ),
        _obj(
            "Campaign",
            "701",
            [
                FieldDef("Name", required=True, length=80),
                FieldDef("Type", length=40),
                FieldDef("StartDate", "date"),
                FieldDef("IsActive", "boolean"),
            ],
        ),
        _obj(
            "User",
            "005",
            [
                FieldDef("Name", createable=False, updateable=False, length=121),
                FieldDef("Username", required=True, length=80),
                FieldDef("LastName", required=True),
                FieldDef("FirstName", length=40),
                FieldDef("Email", "email", required=True),
                FieldDef("Alias", required=True, length=8),
                FieldDef("IsActive", "boolean"),
                FieldDef("ProfileId", "reference", required=True, refers_to="00e"),
            ],
            owned=False,
            keys=False,
        ),
        _obj(
            "Invoice__c",
            "a0B",
            [
                FieldDef("Name", length=80),
                FieldDef("Amount__c", "number", required=True),
                FieldDef(
                    "Status__c",
                    "picklist",
                    picklist=("Draft", "Sent", "Paid", "Void"),
                    default="Draft",
                ),
                FieldDef("Account__c", "reference", refers_to="001"),
                FieldDef("Due_Date__c", "date"),
            ],
        ),
        _obj(
            "Shipment__c",
            "a0C",
            [
                FieldDef("Name", required=True, length=80),
                FieldDef("Tracking_Number__c", length=40),
                FieldDef("Carrier__c", length=40),
                FieldDef("Shipped_On__c", "date"),
            ],
        ),
        _obj(
            "Legacy_Order__c",
            "a0D",
            [
                FieldDef("Name", length=80),
                FieldDef("Order_Number__c", required=True, external_id=True, length=40),
                FieldDef("Amount__c", "number"),
                FieldDef("Placed_On__c", "datetime"),
            ],
        ),
        _obj(
            "Subscription_Usage__c",
            "a0E",
            [
                FieldDef("Name", length=80),
                FieldDef("Units__c", "int", required=True),
                FieldDef("Period__c", "date", required=True),
                FieldDef("Account__c", "reference", refers_to="001"),
            ],
        ),
        # Exist, but the Bulk API refuses them: InvalidEntity.
        _obj(
            "EntityDefinition",
            "4ie",
            [FieldDef("QualifiedApiName")],
            owned=False,
            bulk=False,
            keys=False,
        ),
        _obj(
            "UserRecordAccess", "0ZD", [FieldDef("RecordId")], owned=False, bulk=False, keys=False
        ),
        # The org itself: the Salesforce CLI reads it after a login.
        _obj(
            "Organization",
            "00D",
            [
                FieldDef("Name", createable=False, updateable=False),
                FieldDef("InstanceName", createable=False, updateable=False),
                FieldDef("IsSandbox", "boolean", createable=False, updateable=False),
                FieldDef("TrialExpirationDate", "datetime", createable=False, updateable=False),
                FieldDef("NamespacePrefix", createable=False, updateable=False),
                FieldDef("OrganizationType", createable=False, updateable=False),
            ],
            owned=False,
            bulk=False,
            keys=False,
        ),
    )
}


def find_object(name: str) -> ObjectDef | None:
    return OBJECTS.get(name.lower())


def object_for_prefix(prefix: str) -> ObjectDef | None:
    for obj in OBJECTS.values():
        if obj.key_prefix == prefix:
            return obj
    return None
