# services.sh - sourced by run-conformance.sh and run-conformance-serve.sh:
# the AWS-compatible test servers (tests/services/aws/servers.sh) that the
# corpus's service cases run against, in the corpus's account, stopped when
# the script exits.
#
#   start_services NAME PYTHON   NAME is the script's (for its messages);
#                                sets services_args to the runner's
#                                --services-env option ("" without servers)
#
# ASLC_CONFORMANCE_SERVICES: yes (the default: servers that do not start
# fail the test), auto (without them the service cases are skipped), no.

start_services() {
    local name=$1 py=$2
    services_args=
    case ${ASLC_CONFORMANCE_SERVICES:-yes} in
    yes | auto)
        srv=$(mktemp -d "${TMPDIR:-/tmp}/aslc-$name.XXXXXX") || exit 1
        trap 'bash "$top_srcdir/tests/services/aws/servers.sh" stop "$srv"; rm -rf "$srv"' EXIT
        trap 'exit 130' INT
        trap 'exit 143' TERM
        # No AWS setting or proxy of the user's takes part.
        unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL
        unset http_proxy HTTP_PROXY https_proxy HTTPS_PROXY all_proxy ALL_PROXY
        export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
        if ASLC_TEST_ACCOUNT=111111111111 PYTHON3=$py \
            bash "$top_srcdir/tests/services/aws/servers.sh" start "$srv"; then
            services_args="--services-env=$srv/env"
        elif [ "${ASLC_CONFORMANCE_SERVICES:-yes}" = yes ]; then
            echo "$name: the AWS-compatible test servers did not start (above);" \
                "ASLC_CONFORMANCE_SERVICES=auto runs the corpus without them" >&2
            exit 1
        else
            echo "$name: no test servers: the cases that call AWS services are skipped"
        fi
        ;;
    no) ;;
    *)
        echo "$name: ASLC_CONFORMANCE_SERVICES is yes, auto or no, not '$ASLC_CONFORMANCE_SERVICES'" >&2
        exit 1
        ;;
    esac
}
