"""预算绩效管理信息公开网站生成器 (budget performance disclosure site generator)."""
