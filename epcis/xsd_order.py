"""The member order EPCIS 2.0's XSD prescribes for each event type: the XML parser checks
it and the XML renderer writes it, so both read it from here."""

COMMON = "eventTime recordTime eventTimeZoneOffset eventID errorDeclaration certificationInfo"
BODY = {
    "ObjectEvent": "epcList action bizStep disposition readPoint bizLocation bizTransactionList"
    " quantityList sourceList destinationList sensorElementList persistentDisposition ilmd",
    "AggregationEvent": "parentID childEPCs action bizStep disposition readPoint bizLocation"
    " bizTransactionList childQuantityList sourceList destinationList sensorElementList"
    " persistentDisposition",
    "TransactionEvent": "bizTransactionList parentID epcList action bizStep disposition readPoint"
    " bizLocation quantityList sourceList destinationList sensorElementList persistentDisposition",
    "TransformationEvent": "inputEPCList inputQuantityList outputEPCList outputQuantityList"
    " transformationID bizStep disposition readPoint bizLocation bizTransactionList sourceList"
    " destinationList sensorElementList persistentDisposition ilmd",
    "AssociationEvent": "parentID childEPCs childQuantityList action bizStep disposition readPoint"
    " bizLocation bizTransactionList sourceList destinationList sensorElementList"
    " persistentDisposition",
}
