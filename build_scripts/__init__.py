"""Building the single-folder binary of apexlocal (PyInstaller); see docs/binary.md."""
