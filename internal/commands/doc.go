// Package commands answers the slash commands of one comment against GitHub:
// it resolves the group each command acts for, checks who may run it, runs
// it, and answers with one reaction and at most one reply, across replicas.
// Parsing and the permission policy are the pure command package's.
package commands
