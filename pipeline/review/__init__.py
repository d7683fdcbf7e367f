"""The review round trip: reviewed spreadsheets back into a translation memory."""
