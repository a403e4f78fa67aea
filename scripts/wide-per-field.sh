#!/usr/bin/env bash
# Time per field of wide records through `smtbench run`, schemaless and as a schema'd STRUCT,
# alone and through each transform that takes a field list (`smtbench gen-wide --config-for`:
# the configs of the `wide_records` criterion bench, each list naming half the record's
# fields). Every width runs over the same total number of fields, BATCH_SIZE records per batch
# (default 1: each record alone, so the comparison is one N-field record against one M-field
# record; with larger batches the narrow records share each column's fixed cost among more
# rows), so equal ns/field across widths means cost linear in the record's width.
#
#   [BATCH_SIZE=1] scripts/wide-per-field.sh SMTBENCH [TOTAL_FIELDS] [WIDTHS...]
#   scripts/wide-per-field.sh target/release/smtbench 200000 1000 10000 100000
#
# Prints one line per (kind, transform): ns/field at each width and the widest/narrowest ratio.
set -euo pipefail
smtbench=$(realpath "$1")
total=${2:-200000}
batch=${BATCH_SIZE:-1}
shift $(( $# > 1 ? 2 : 1 ))
widths=("${@:-1000 10000 100000}")
[ ${#widths[@]} -eq 1 ] && read -r -a widths <<< "${widths[0]}"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

names=(decode_encode replace_field_include replace_field_exclude replace_field_renames mask_field value_to_key header_from cast flatten)
for kind in schemaless struct; do
    flag=()
    [ $kind = struct ] && flag=(--schema)
    for w in "${widths[@]}"; do
        "$smtbench" gen-wide --fields "$w" --records $(( (total + w - 1) / w )) "${flag[@]}" > "$dir/$kind-$w.jsonl"
    done
    for name in "${names[@]}"; do
        line=$(printf '%-10s %-22s' "$kind" "$name")
        first=; last=
        for w in "${widths[@]}"; do
            "$smtbench" gen-wide --fields "$w" --config-for "$name" "${flag[@]}" > "$dir/c.properties"
            secs=$("$smtbench" run --config "$dir/c.properties" --input "$dir/$kind-$w.jsonl" --iterations 3 --batch-size "$batch" 2>&1 |
                sed -n 's/.*best of [0-9]*: \([0-9.]*\) s.*/\1/p')
            records=$(( (total + w - 1) / w ))
            ns=$(awk -v s="$secs" -v f=$((records * w)) 'BEGIN { printf "%.1f", s * 1e9 / f }')
            line+=$(printf ' %8s ns@%-6s' "$ns" "$w")
            first=${first:-$ns}; last=$ns
        done
        ratio=$(awk -v a="$first" -v b="$last" 'BEGIN { printf "%.2f", (a > 0 ? b / a : 0) }')
        echo "$line  ratio $ratio"
    done
done
