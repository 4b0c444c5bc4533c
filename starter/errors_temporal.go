package main

import "go.temporal.io/api/serviceerror"

// serviceErrorAlreadyStarted is the error of starting a running workflow.
type serviceErrorAlreadyStarted = serviceerror.WorkflowExecutionAlreadyStarted
