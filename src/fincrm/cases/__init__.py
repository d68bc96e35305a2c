"""Cases: complaints, crisis communication, cross-department cases and testimonials."""
