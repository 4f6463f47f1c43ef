// Package examples holds ready-made client configurations for agentmcp, one
// realistic argument object per tool (arguments/<provider>.json) and a
// scripted client (examples/client). Its tests check all of them, and the
// release files at the repository root, against the server itself: the flags
// and environment variables it really reads and the tools it really registers.
//
// After adding a provider to app/catalog.go, run
//
//	go test ./examples -update
//
// to add its credentials to the client configurations and to server.json,
// and write examples/arguments/<provider>.json.
package examples
