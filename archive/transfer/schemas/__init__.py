"""The XML Schemas wenshu ships and copies into every carrier (其他/文件目录.xsd, 其他/元数据.xsd)."""
