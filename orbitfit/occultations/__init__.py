"""Stellar occultations: predicted events, shadow paths and maps (`occultation`), and observed chords turned into
astrometry (`chords`)."""
