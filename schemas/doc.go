// Package schemas holds plannerbench's spec and record types: the matrix file,
// its expanded cases, trace records and their JSONL reader and writer.
// It imports nothing from Temporal and little beyond the standard library, so
// every layer can share it.
package schemas
