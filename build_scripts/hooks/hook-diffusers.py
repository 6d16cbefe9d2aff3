"""diffusers builds pipelines and their parts from the class names in a model's config, through its
lazy module: every submodule is collected (less conversion scripts and tests). It checks which
libraries are installed through their metadata, so the metadata of its dependency table's installed
entries comes too. Sources are kept beside the bytecode: some modules compile TorchScript at import."""

from PyInstaller.utils.hooks import collect_submodules, copy_metadata, get_module_attribute, is_module_satisfies

from build_scripts.bundle import wanted_module

hiddenimports = collect_submodules("diffusers", filter=wanted_module)

datas = copy_metadata("diffusers")
for _name, _requirement in get_module_attribute("diffusers.dependency_versions_table", "deps").items():
    try:
        if is_module_satisfies(_requirement):
            datas += copy_metadata(_name)
    except Exception:  # a requirement this environment does not have
        pass

module_collection_mode = "pyz+py"
