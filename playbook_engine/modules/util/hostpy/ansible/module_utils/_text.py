from ansible.module_utils.common.text.converters import to_bytes, to_native, to_text  # noqa: F401
