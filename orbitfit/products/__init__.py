"""What a fitted orbit gives a researcher: its uncertainty on the sky (`uncertainty`), SPK kernels and ephemeris
tables (`export`), and figures (`plots`)."""
