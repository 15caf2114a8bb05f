"""normkata grader."""
