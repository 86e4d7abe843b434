"""What callers hear and texters read, built from an engine result: voice TwiML (voice.py), SMS
replies cut to fit (sms.py), the GSM-7 alphabet and billed parts (gsm.py), and the {fields} a
phrase is filled with (fields.py). Pure: small functions, testable without HTTP."""
