#!/bin/sh
# demo.sh BUILD — `make demo`: a tanh RNN, a GRU and an LSTM of 64 units each
# learn to classify Fashion-MNIST read row by row (28 steps of 28 pixels),
# with progress shown; then a results table on the 10,000 test images, one
# chart of the three validation curves, and the best model classifying a few
# test images drawn in the terminal.  About two minutes on this machine.
set -e
build=${1:-build}
recur="$build/recur"
data=${FASHION_MNIST:-/usr/share/datasets/fashion-mnist}
out="$build/demo"
epochs=${DEMO_EPOCHS:-4}
names="T-shirt/top,Trouser,Pullover,Dress,Coat,Sandal,Shirt,Sneaker,Bag,Ankle boot"

if [ ! -r "$data/t10k-images-idx3-ubyte.gz" ]; then
    echo "demo: Fashion-MNIST is not in $data (apt-get install dataset-fashion-mnist, or set FASHION_MNIST)" >&2
    exit 2
fi
rm -rf "$out"
for cell in rnn_tanh gru lstm; do
    echo
    echo "=== $cell: 64 units, Adam, $epochs epochs over 55,000 images (5,000 held out for validation)"
    "$recur" train --task classify --data "$data" --cell "$cell" --hidden 64 --batch 32 --lr 2e-3 \
        --epochs "$epochs" --class-names "$names" --out "$out/$cell"
done

echo
echo "=== results on the 10,000 test images"
printf '%-10s %10s %12s %10s\n' cell parameters accuracy "train s"
best=; best_acc=0
for cell in rnn_tanh gru lstm; do
    line=$("$recur" eval "$out/$cell/model.safetensors" --data "$data")
    acc=$(echo "$line" | sed -n 's/.*accuracy \([0-9.]*\)%.*/\1/p')
    params=$("$recur" info "$out/$cell/model.safetensors" | sed -n 's/.*parameters *//p')
    seconds=$(tail -n 1 "$out/$cell/log.csv" | cut -d, -f7)
    printf '%-10s %10s %11s%% %10s\n' "$cell" "${params:--}" "$acc" "$seconds"
    if awk "BEGIN{exit !($acc > $best_acc)}"; then best=$cell; best_acc=$acc; fi
done
"$recur" plot "$out/rnn_tanh" "$out/gru" "$out/lstm" --labels "tanh RNN,GRU,LSTM" \
    --title "Fashion-MNIST row by row, 64 units" --ylabel "validation cross-entropy" -o "$out/curves.svg"

echo
echo "=== the $best model, loaded from $out/$best/model.safetensors, on four test images"
"$recur" eval "$out/$best/model.safetensors" --data "$data" --show 4 | tail -n +2
echo
echo "Learning curves: $out/curves.svg; models, checkpoints and logs: $out/"
