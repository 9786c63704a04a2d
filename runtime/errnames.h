/*
 * errnames.h - the names of the predefined States.* errors, once each.
 *
 * Step Functions reserves the "States." prefix for its own errors; the
 * runtime raises some of them, Retry and Catch match them, and the
 * compiler checks ErrorEquals against the wildcard.  Code spells a name
 * through these constants, never as a literal, so that a typo is a
 * compile error instead of an error nothing catches.  They are string
 * literals, so they join adjacent literals ("'" ASLRTP_ERR_ALL "'").
 *
 * ASLRTP_STATES_ERRORS lists them all, for tables.  Never installed and
 * never seen by generated code; includes nothing.
 */
#ifndef ASLRT_ERRNAMES_H
#define ASLRT_ERRNAMES_H

/* Matches every error name (only in ErrorEquals, and only alone and last). */
#define ASLRTP_ERR_ALL "States.ALL"
/* A Parallel branch failed (the spec's name; AWS reports the branch's own
 * error instead). */
#define ASLRTP_ERR_BRANCH_FAILED "States.BranchFailed"
/* A state's input, output or result exceeded the payload quota. */
#define ASLRTP_ERR_DATA_LIMIT_EXCEEDED "States.DataLimitExceeded"
/* A Map Run failed more items than its ToleratedFailure* allow. */
#define ASLRTP_ERR_EXCEED_TOLERATED_FAILURE_THRESHOLD "States.ExceedToleratedFailureThreshold"
/* Matches a Task's missed HeartbeatSeconds (which is raised as
 * States.Timeout). */
#define ASLRTP_ERR_HEARTBEAT_TIMEOUT "States.HeartbeatTimeout"
/* An HTTP Task's socket failed. */
#define ASLRTP_ERR_HTTP_SOCKET "States.Http.Socket"
/* An intrinsic function failed (the spec's name; AWS reports
 * States.Runtime). */
#define ASLRTP_ERR_INTRINSIC_FAILURE "States.IntrinsicFailure"
/* A distributed Map's ItemReader could not read its items. */
#define ASLRTP_ERR_ITEM_READER_FAILED "States.ItemReaderFailed"
/* No Choice rule matched and there is no Default. */
#define ASLRTP_ERR_NO_CHOICE_MATCHED "States.NoChoiceMatched"
/* A path in Parameters matched nothing. */
#define ASLRTP_ERR_PARAMETER_PATH_FAILURE "States.ParameterPathFailure"
/* The execution lacked a privilege. */
#define ASLRTP_ERR_PERMISSIONS "States.Permissions"
/* A JSONata expression failed (QueryLanguage JSONata). */
#define ASLRTP_ERR_QUERY_EVALUATION_ERROR "States.QueryEvaluationError"
/* A ResultPath cannot be applied to the state's input. */
#define ASLRTP_ERR_RESULT_PATH_MATCH_FAILURE "States.ResultPathMatchFailure"
/* A distributed Map's ResultWriter could not write the results. */
#define ASLRTP_ERR_RESULT_WRITER_FAILED "States.ResultWriterFailed"
/* An error that no Retry or Catch can handle (bad paths, bad types). */
#define ASLRTP_ERR_RUNTIME "States.Runtime"
/* Matches every error but States.Timeout (only in ErrorEquals). */
#define ASLRTP_ERR_TASK_FAILED "States.TaskFailed"
/* A state ran longer than its TimeoutSeconds, or the execution longer than
 * the machine's. */
#define ASLRTP_ERR_TIMEOUT "States.Timeout"

#define ASLRTP_STATES_ERRORS(X)                          \
    X(ASLRTP_ERR_ALL)                                    \
    X(ASLRTP_ERR_BRANCH_FAILED)                          \
    X(ASLRTP_ERR_DATA_LIMIT_EXCEEDED)                    \
    X(ASLRTP_ERR_EXCEED_TOLERATED_FAILURE_THRESHOLD)     \
    X(ASLRTP_ERR_HEARTBEAT_TIMEOUT)                      \
    X(ASLRTP_ERR_HTTP_SOCKET)                            \
    X(ASLRTP_ERR_INTRINSIC_FAILURE)                      \
    X(ASLRTP_ERR_ITEM_READER_FAILED)                     \
    X(ASLRTP_ERR_NO_CHOICE_MATCHED)                      \
    X(ASLRTP_ERR_PARAMETER_PATH_FAILURE)                 \
    X(ASLRTP_ERR_PERMISSIONS)                            \
    X(ASLRTP_ERR_QUERY_EVALUATION_ERROR)                 \
    X(ASLRTP_ERR_RESULT_PATH_MATCH_FAILURE)              \
    X(ASLRTP_ERR_RESULT_WRITER_FAILED)                   \
    X(ASLRTP_ERR_RUNTIME)                                \
    X(ASLRTP_ERR_TASK_FAILED)                            \
    X(ASLRTP_ERR_TIMEOUT)

#endif /* ASLRT_ERRNAMES_H */
