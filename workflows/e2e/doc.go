// Package e2e runs plannerbench against a real Temporal dev server and real
// worker processes. The tests, by file:
//
//   - e2e_test.go, TestSeedMatrixEndToEnd: the seed's two cases end to end,
//     every result file checked, each case held to its virtual-time replays.
//   - crash_test.go: TestWorkerKilledDuringDriveLoad (the worker killed
//     mid-load, every trace index recorded once) and TestServerRestartMidRun.
//   - cancel_test.go, TestCancelledMatrixEndsCancelled: a cancelled matrix
//     ends cancelled with nothing pending.
//   - chaos_test.go, TestChaosDuringMatrix: worker, simulator and server
//     killed during a matrix; what must hold whatever the order.
//   - faults_test.go, TestFaultsDuringACase: the simulator's injected faults
//     during a planner case.
//   - endpoint_test.go, dynamo_test.go: the endpoint and dynamo backends
//     against an outside simulator (the latter through a real API server
//     with Dynamo's CRDs), held to the same replay band.
//   - external_test.go, TestExternalPlannersEndToEnd: planners outside
//     plannerbench (Dynamo's VirtualConnector over etcd, the HTTP example).
//   - nodes_test.go, TestThreeNodesOneBucket: three nodes, one results
//     bucket, one node lost mid-case.
//   - versioning_test.go, TestWorkerVersioningPinsRunningBenchmarks.
//   - soak_test.go, TestSoak (50 cases; opt-in) and livecheck_test.go,
//     TestCheckKeptResults (checks a kept matrix folder; opt-in).
//
// The tests need the Temporal CLI (bin/temporal, or `temporal` on PATH, or
// $PLANNERBENCH_TEMPORAL); without it they skip, unless $PLANNERBENCH_E2E=1
// (as in CI) makes its absence a failure.
package e2e
