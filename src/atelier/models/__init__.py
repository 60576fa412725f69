"""What Atelier knows about a model file without loading it: its type and family from its
safetensors header (kinds), its hashes as other tools write them (hashes). Torch-free and
Qt-free, so the CLI and the scan can ask about hundreds of files cheaply."""
