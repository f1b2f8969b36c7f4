//! Windows update packages (.msu, .cab): read-only identification.
