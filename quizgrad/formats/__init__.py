"""Writers of files for people and other tools: sheets, answer templates, LMS formats."""
