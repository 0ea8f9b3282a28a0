//! AWS log corpus generator.
