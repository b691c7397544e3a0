// Package command reads slash commands from issue and pull-request comments and decides who may run them.
// It is pure: the command table, parser, permission policy, help and reply text; handlers do the I/O.
package command
