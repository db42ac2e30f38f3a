"""Labels of the app in English and Chinese.

Figure labels are translated by :func:`povsim.report.translate_figure`, as in the brief; this
adds the app's own words (menus, filters, buttons) and falls back to the brief's phrases.
"""

from __future__ import annotations

from povsim.report import translate

__all__ = ["LANGUAGES", "UI_ZH", "ui"]

#: Language code -> its name in the language switch.
LANGUAGES = {"en": "English", "zh": "中文"}

UI_ZH: dict[str, str] = {
    # page
    "povsim dashboard": "povsim 结果面板",
    "Results folders": "结果文件夹",
    "Folder": "文件夹",
    "View": "视图",
    "Filters": "筛选",
    "Export": "导出",
    "Figure (PNG, 300 dpi)": "图（PNG，300 dpi）",
    "Figure (SVG)": "图（SVG）",
    "Data (CSV)": "数据（CSV）",
    "Folders side by side": "文件夹并列比较",
    "No results folder chosen": "未选择结果文件夹",
    "Pick a folder in the sidebar, or start with `povsim dashboard RESULTS_DIR`.":
        "请在侧栏选择文件夹，或用 `povsim dashboard RESULTS_DIR` 启动。",
    "No view of this folder can be drawn from its tables.": "此文件夹的表格无法生成任何视图。",
    # kinds
    "Run": "运行",
    "Scenario comparison": "情景比较",
    "Batch": "批量实验",
    "Sensitivity study": "敏感性分析",
    "Calibration": "校准",
    "Plan": "规划",
    "Virtual trial": "虚拟试验",
    # views
    "Headline panel": "主要指标",
    "Trajectories by subgroup": "分组轨迹",
    "MODA by age group": "按年龄组的MODA",
    "Deprivation by dimension": "各维度剥夺",
    "Number of deprivations": "剥夺维度数",
    "Overlapping deprivations": "重叠剥夺",
    "MODA and income poverty": "MODA与收入贫困",
    "Intergenerational transmission": "代际传递",
    "Childhood poverty by generation": "各代儿童期贫困",
    "Subgroups in one year": "单年分组比较",
    "Programme costs": "项目成本",
    "Calibration targets": "校准目标",
    "Paired differences": "配对差异",
    "Cost-effectiveness": "成本效果",
    "MODA by scenario": "按情景的MODA",
    "Trajectories by scenario": "按情景的轨迹",
    "Costs by scenario": "按情景的成本",
    "Outcomes across runs": "各次运行的结果",
    "Design and runs": "设计与运行",
    "Sensitivity indices": "敏感性指数",
    "Second-order indices": "二阶指数",
    "Standardised residuals": "标准化残差",
    "Objective and fitted parameters": "目标函数与拟合参数",
    "Efficiency frontier": "效率前沿",
    "Allocation by village": "按村的分配",
    "Verification in the full model": "完整模型验证",
    "Marginal returns": "边际收益",
    "Stability of the allocation": "分配的稳定性",
    "Model beside the published trial": "模型与已发表试验的对比",
    "Trial arms over time": "试验各组随时间的变化",
    "Replicate estimates": "各次重复的估计值",
    # controls
    "Scenario": "情景",
    "Scenarios": "情景",
    "Measure": "指标",
    "Subgroup": "分组",
    "Group": "组",
    "Groups": "组",
    "Years": "年份范围",
    "Year": "年份",
    "Age groups": "年龄组",
    "Age group": "年龄组",
    "Headcount": "人数比例",
    "Patterns shown": "显示的模式数",
    "Poverty line": "贫困线",
    "Stack by": "堆叠依据",
    "When": "时点",
    "Output": "输出",
    "Targets": "目标",
    "Table": "表",
    "Counties": "县",
    "Arms": "试验组",
    # option values
    "all": "全部",
    "county": "县",
    "arm": "组别",
    "area": "区域",
    "sex": "性别",
    "left_behind": "留守",
    "generation": "代",
    "age_group": "年龄组",
    "uncensored": "未删截",
    "censored": "删截",
    "relative": "相对",
    "absolute": "绝对",
    "intervention": "干预",
    "funder": "出资方",
    "item": "项目",
    "fit": "拟合",
    "holdout": "留出",
}


def ui(text: str, lang: str) -> str:
    """``text`` in ``lang``: the app's own words, else the brief's phrases, else unchanged."""
    if lang != "zh":
        return text
    return UI_ZH.get(text) or translate(text, lang)
