# Sourced by the scripts that run notebooks (report.sh, run_all.sh, stress_notebooks.sh): installs
# Jupyter when missing, registers the Deno kernel for the deno that runs us, and sets $python to a
# python3 that imports the executor's modules (jupyter_client, pyzmq, nbformat).
deno_bin=$(command -v deno || true)
[ -n "$deno_bin" ] || { echo "deno not found: run this through 'npx -y deno@2.9.6 task …'" >&2; exit 1; }
# nbconvert is installed where pip --user puts it when Debian's packages cannot be used.
export PATH="$PATH:$HOME/.local/bin"
bash tools/install_system.sh jupyter
python=
for py in python3 /usr/bin/python3; do
  if command -v "$py" >/dev/null && "$py" -c 'import jupyter_client, nbformat, zmq' 2>/dev/null; then
    python=$py
    break
  fi
done
[ -n "$python" ] || { echo "Jupyter is installed but no python3 on PATH imports jupyter_client" >&2; exit 1; }
# (Re)register the Deno kernel so that it runs this deno.
"$deno_bin" jupyter --install --force >/dev/null 2>&1 || {
  echo "could not register the Deno Jupyter kernel ('deno jupyter --install')" >&2; exit 1; }
