#!/usr/bin/env bash
# reboot-in-waves.sh: reboot every running EC2 instance that carries the
# given tags, wave by wave, with the AWS CLI v2. It is the script a team
# writes for a mass reboot before it has a tool for the job, and the
# reference `make bench` compares `gameday run` with (docs/benchmarks.md,
# "Against an AWS CLI script"): the same describe-and-reboot-in-waves job,
# against the same simulated fleet.
#
# Usage:
#   scripts/reboot-in-waves.sh [-w WAVES] [-b BATCH] [-p POLL_SECONDS]
#                              [-t KEY=VALUE]... [-r REGION] [-e ENDPOINT_URL]
#
#   -w  number of waves (default 10)
#   -b  instance ids per reboot-instances call (default 100)
#   -p  seconds between status polls while a wave settles (default 2)
#   -t  tag filter, repeatable (default gameday=opt-in)
#   -r  region (default $AWS_REGION, else us-east-1)
#   -e  endpoint URL, e.g. a simulator: gameday sim serve prints it.
#       Without it the CLI talks to AWS with your credentials.
#
# What it does:
#   1. Lists the running instances with the tags: describe-instances with
#      server-side filters, paginated by the CLI (pages of 1,000).
#   2. Splits their ids into WAVES waves of (nearly) equal size, in the
#      order listed.
#   3. For each wave: reboot-instances, BATCH ids per call; then polls
#      describe-instance-status (--include-all-instances, at most 100 ids a
#      call, EC2's cap) until every instance of the wave reports state
#      running, every POLL_SECONDS, for at most 10 minutes, before the next
#      wave.
#
# What it does not do, and gameday does: an opt-in check beyond the tag
# filter, blast-radius caps, a DryRun permission check, a journal, pacing
# on EC2's token buckets (the CLI retries RequestLimitExceeded on its own),
# health probes, a report. A reboot leaves the state `running`, so step 3
# only confirms the instances are still there; a health gate would wait on
# instance status checks or an HTTP probe instead.
#
# The AWS CLI on PATH may not be v2 (an AWS CLI v1 shim has been seen):
# AWS_CLI=/usr/bin/aws picks Debian's. Exit status: 0 done, 1 a call
# failed or a wave did not settle, 2 usage.
set -euo pipefail

aws_cli=${AWS_CLI:-aws}
waves=10
batch=100
poll=2
region=${AWS_REGION:-us-east-1}
endpoint=""
tags=()

usage() { sed -n '9,19p' "$0" >&2; exit 2; }

while getopts "w:b:p:t:r:e:h" opt; do
  case $opt in
    w) waves=$OPTARG ;;
    b) batch=$OPTARG ;;
    p) poll=$OPTARG ;;
    t) tags+=("$OPTARG") ;;
    r) region=$OPTARG ;;
    e) endpoint=$OPTARG ;;
    *) usage ;;
  esac
done
[ ${#tags[@]} -gt 0 ] || tags=("gameday=opt-in")
for n in "$waves" "$batch" "$poll"; do
  [[ $n =~ ^[0-9]+$ ]] && [ "$n" -gt 0 ] || usage
done

log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

ec2() {
  "$aws_cli" ec2 "$@" --region "$region" ${endpoint:+--endpoint-url "$endpoint"}
}

# 1. List.
filters=(Name=instance-state-name,Values=running)
for tag in "${tags[@]}"; do
  filters+=("Name=tag:${tag%%=*},Values=${tag#*=}")
done
mapfile -t ids < <(ec2 describe-instances --filters "${filters[@]}" --page-size 1000 \
  --query 'Reservations[].Instances[].InstanceId' --output text | tr -s '\t ' '\n\n' | sed '/^$/d')
total=${#ids[@]}
if [ "$total" -eq 0 ]; then
  log "no running instance with tags ${tags[*]}"
  exit 1
fi
per_wave=$(( (total + waves - 1) / waves ))
log "$total instances in $(( (total + per_wave - 1) / per_wave )) waves of up to $per_wave"

# 3. Reboot wave by wave.
wave=0
for (( start = 0; start < total; start += per_wave )); do
  wave=$((wave + 1))
  members=("${ids[@]:start:per_wave}")
  log "wave $wave: rebooting ${#members[@]} instances"
  for (( i = 0; i < ${#members[@]}; i += batch )); do
    ec2 reboot-instances --instance-ids "${members[@]:i:batch}"
  done

  deadline=$(( $(date +%s) + 600 ))
  while :; do
    running=0
    for (( i = 0; i < ${#members[@]}; i += 100 )); do
      n=$(ec2 describe-instance-status --include-all-instances --instance-ids "${members[@]:i:100}" \
        --query 'length(InstanceStatuses[?InstanceState.Name==`running`])' --output text)
      running=$((running + n))
    done
    [ "$running" -eq "${#members[@]}" ] && break
    if [ "$(date +%s)" -ge "$deadline" ]; then
      log "wave $wave: $running of ${#members[@]} running after 10 minutes; stopping"
      exit 1
    fi
    sleep "$poll"
  done
  log "wave $wave: all ${#members[@]} running"
done
log "done: $total instances rebooted in $wave waves"
