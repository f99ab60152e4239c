"""The estimator: weighted least squares of one satellite (`least_squares`), of a family with a satellite's GM
(`family`), starting orbits for objects without one (`ranging`), published starting orbits (`published`), and many
fits at once (`batch`)."""
