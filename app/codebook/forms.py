"""The code book's search is a GET form: nothing changes, so there is no CSRF token to carry."""
SYSTEM_NAMES = {
    "icd10cm": "ICD-10-CM",
    "cpt": "CPT (numbers, our labels)",
    "hcpcs": "HCPCS Level II",
    "modifier": "Modifiers",
    "pos": "Place of service",
}
