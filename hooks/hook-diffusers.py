"""PyInstaller hook for diffusers (none ships with PyInstaller or its contrib hooks).

diffusers imports its pipelines, models and schedulers lazily by name, which the import
analysis cannot follow, and it checks the installed versions of its dependencies through their
package metadata: without that metadata it silently swaps in dummy classes.
"""

from PyInstaller.utils.hooks import collect_submodules, copy_metadata, get_module_attribute, is_module_satisfies

datas = copy_metadata("diffusers")
for name, requirement in get_module_attribute("diffusers.dependency_versions_table", "deps").items():
    if is_module_satisfies(requirement):  # installed and satisfying: its metadata is looked up
        try:
            datas += copy_metadata(name)
        except Exception:  # listed but not a distribution on this machine
            pass

# The developer commands and the experimental research code are never imported by Atelier.
hiddenimports = collect_submodules(
    "diffusers", filter=lambda name: not name.startswith(("diffusers.commands", "diffusers.experimental"))
)
